import { join } from 'node:path';
import { kilnConfigDir } from '../project/configDir.js';

/** Where the studio's runs go: KILN_LOGDIR, else `runs` in Kiln's config folder. */
export function studioLogdir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KILN_LOGDIR || join(kilnConfigDir(env), 'runs');
}
