import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where Kiln keeps the user's settings, recent projects and autosave: KILN_CONFIG_DIR, else $XDG_CONFIG_HOME/kiln, else ~/.config/kiln. */
export function kilnConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KILN_CONFIG_DIR) return env.KILN_CONFIG_DIR;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'kiln');
}
