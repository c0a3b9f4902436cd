import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const cwd = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd });

async function ruleMessages(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe("lint enforces DESIGN.md's import rules", () => {
  it('fails a common/ file that imports fs, node:fs or react', async () => {
    expect(await ruleMessages("import fs from 'fs';\nexport const x = fs;\n", 'common/model/bad.ts')).not.toEqual([]);
    expect(await ruleMessages("import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n", 'common/model/bad.ts')).not.toEqual([]);
    expect(await ruleMessages("import React from 'react';\nexport const x = React;\n", 'common/model/bad.ts')).not.toEqual([]);
    expect(await ruleMessages("import { x } from '../../renderer/App.js';\nexport const y = x;\n", 'common/model/bad.ts')).not.toEqual([]);
    expect(await ruleMessages("import { x } from '../../test/support/specs.js';\nexport const y = x;\n", 'common/model/bad.ts')).not.toEqual([]);
  });

  it('lets common/ import itself', async () => {
    expect(await ruleMessages("import { parseNpy } from '../formats/npy.js';\nexport const x = parseNpy;\n", 'common/model/ok.ts')).toEqual([]);
    expect(await ruleMessages("import { analyzeModel } from '../../model/index.js';\nexport const x = analyzeModel;\n", 'common/export/onnx/ok.ts')).toEqual([]);
  });

  it("fails the renderer importing Node or the host, and the host importing 'electron'", async () => {
    expect(await ruleMessages("import { x } from '../../electron/host/serve.js';\nexport const y = x;\n", 'renderer/stores/bad.ts')).not.toEqual([]);
    expect(await ruleMessages("import path from 'node:path';\nexport const y = path;\n", 'renderer/stores/bad.ts')).not.toEqual([]);
    expect(await ruleMessages("import { app } from 'electron';\nexport const y = app;\n", 'electron/host/bad.ts')).not.toEqual([]);
  });
});
