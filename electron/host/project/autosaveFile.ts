import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { ProjectErrorCode, type AutosavedDocument } from '../../../common/contract/project.js';
import { parseProject } from '../../../common/project/projectFile.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { fileProblem, projectFailure } from './projectFailure.js';

const FORMAT = 'kiln-autosave';

/**
 * The unsaved document, written every few seconds while it has changes so that a crash loses
 * little: `autosave.json` in the config folder, replaced atomically, removed once the document is
 * saved or discarded.
 */
export class AutosaveFile {
  constructor(private readonly file: string) {}

  write(doc: Omit<AutosavedDocument, 'savedAt'>): string {
    const savedAt = new Date().toISOString();
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomic(this.file, JSON.stringify({ format: FORMAT, version: 1, ...doc, savedAt }));
    return savedAt;
  }

  /** The autosaved document, or null when there is none. */
  read(): AutosavedDocument | null {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw projectFailure(ProjectErrorCode.invalidProject, this.file, [fileProblem(err, this.file)]);
    }
    const damaged = (why: string) => projectFailure(ProjectErrorCode.invalidProject, this.file, [`the autosaved document is damaged (${why}): discard it`]);
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw damaged('it is not valid JSON');
    }
    if (doc?.format !== FORMAT || typeof doc.name !== 'string' || typeof doc.savedAt !== 'string') throw damaged('it is not an autosave file');
    const parsed = parseProject(doc.project);
    if (!parsed.ok) throw damaged(parsed.errors.join('; '));
    const out: AutosavedDocument = { project: parsed.project, path: typeof doc.path === 'string' ? doc.path : null, name: doc.name, savedAt: doc.savedAt };
    if (typeof doc.weightsFrom === 'string') out.weightsFrom = doc.weightsFrom;
    return out;
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
