// Lint, including DESIGN.md's import rules: common/ imports nothing outside itself (no Node, no
// DOM libraries, no React, no Electron); renderer/ imports common/ only; electron/host/ never
// imports 'electron'; nothing imports renderer/ but its own files.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'url', 'util', 'worker_threads', 'module', 'stream', 'events'];
const pattern = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'native/build/**', 'test-results/**', '.venv/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          pattern(nodeBuiltins, 'common/ is pure TypeScript: no Node modules (it runs in the renderer too).'),
          pattern(['react', 'react-*', 'react/*', 'electron', 'electron/*', 'zustand', 'recharts', '@xyflow/*', 'ws'], 'common/ imports nothing outside itself.'),
          pattern(['**/renderer/**', '**/electron/**', '**/native/**', '**/test/**', '**/bench/**', '**/scripts/**'], 'common/ imports nothing outside itself.'),
        ],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/vite.config.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          pattern(nodeBuiltins, 'renderer/ runs in a sandboxed page: no Node modules.'),
          pattern(['electron', 'electron/*', 'ws'], 'renderer/ talks to hosts only through its adapters and common/.'),
          pattern(['**/electron/**', '**/native/**', '**/test/**', '**/bench/**'], 'renderer/ imports common/ only.'),
        ],
      }],
    },
  },
  {
    files: ['electron/host/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          pattern(['electron', 'electron/*'], "the engine host is plain Node: it never imports 'electron'."),
          pattern(['**/renderer/**', '**/electron/main/**', '**/electron/preload/**'], 'electron/host/ imports common/ and the addon only.'),
        ],
      }],
    },
  },
  {
    files: ['electron/main/**/*.ts', 'electron/preload/**/*.cts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [pattern(['**/renderer/**', '**/electron/host/**'], 'electron/main/ imports common/ and starts electron/host/ as a process; it does not import it.')],
      }],
    },
  },
);
