import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { RECENT_PROJECTS_MAX, type RecentProject } from '../../../common/contract/project.js';
import { projectName } from '../../../common/project/projectFile.js';
import { writeFileAtomic } from '../writeFileAtomic.js';

/**
 * The recent projects list, `recent.json` in the config folder: project paths, most recent
 * first. It is a convenience: a damaged file reads as an empty list and is replaced on the next save.
 */
export class RecentProjects {
  constructor(private readonly file: string) {}

  /** The projects that still exist, with when each was last written. */
  list(): RecentProject[] {
    const out: RecentProject[] = [];
    for (const path of this.read()) {
      try {
        const stat = statSync(path);
        if (stat.isFile()) out.push({ path, name: projectName(basename(path)), savedAt: stat.mtime.toISOString() });
      } catch {
        // Moved or deleted since (or on a disk that is not mounted now): not offered.
      }
    }
    return out;
  }

  /** Puts a project first (opened or saved just now). */
  add(path: string): void {
    const paths = [path, ...this.list().map((p) => p.path).filter((p) => p !== path)].slice(0, RECENT_PROJECTS_MAX);
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, `${JSON.stringify({ recent: paths }, null, 2)}\n`);
  }

  private read(): string[] {
    try {
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as { recent?: unknown };
      return Array.isArray(doc.recent) ? doc.recent.filter((p): p is string => typeof p === 'string') : [];
    } catch {
      return [];
    }
  }
}
