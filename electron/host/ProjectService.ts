/**
 * The project service (IProjectService): opens projects and Keras models as editable documents,
 * saves projects atomically with their weights, keeps the recent list and the autosave file in the
 * user's config folder. Stateless between calls, so a restarted engine host carries on.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import {
  ProjectErrorCode,
  withProjectSuffix,
  type AutosavedDocument,
  type IProjectService,
  type OpenedProject,
  type RecentProject,
  type SavedProject,
} from '../../common/contract/project.js';
import { parseProject, PROJECT_SUFFIX, projectName, serializeProject, type ProjectFile } from '../../common/project/projectFile.js';
import { ServiceError } from '../../common/rpc/index.js';
import { AutosaveFile } from './project/autosaveFile.js';
import { carryWeights } from './project/carryWeights.js';
import { kilnConfigDir } from './project/configDir.js';
import { importKerasProject, importKerasUpload } from './project/importKerasProject.js';
import { jsonFieldLines, JsonSyntaxError, withLine } from './project/jsonLines.js';
import { fileProblem, projectFailure } from './project/projectFailure.js';
import { readProjectWeights } from './project/projectStore.js';
import { RecentProjects } from './project/recentProjects.js';
import { writeFileAtomic } from './writeFileAtomic.js';

const OPENS = 'Kiln opens projects (NAME.kiln.json) and Keras models (.keras archives, or the .json of model.to_json())';

/** A path from the user: absolute, `~/` meaning their home folder. */
function userPath(path: unknown, what: string): string {
  if (typeof path !== 'string' || path.trim() === '') throw new ServiceError(ProjectErrorCode.invalidPath, `${what} needs the path of a file`);
  const expanded = path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
  if (!isAbsolute(expanded)) throw new ServiceError(ProjectErrorCode.invalidPath, `${path} is not a full path: give the whole path, from the root folder or ~/`);
  return expanded;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class ProjectService implements IProjectService {
  private readonly recent: RecentProjects;
  private readonly autosaved: AutosaveFile;

  constructor(configDir: string = kilnConfigDir()) {
    this.recent = new RecentProjects(join(configDir, 'recent.json'));
    this.autosaved = new AutosaveFile(join(configDir, 'autosave.json'));
  }

  async openProject(params: { path: string }): Promise<OpenedProject> {
    const path = userPath(params?.path, 'Opening');
    const lower = path.toLowerCase();
    if (lower.endsWith('.keras')) return importKerasProject(path, path, true);
    if (!lower.endsWith('.json')) throw projectFailure(ProjectErrorCode.unsupportedFile, path, [`is not a file Kiln opens: ${OPENS}`]);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? ProjectErrorCode.notFound : ProjectErrorCode.invalidProject;
      throw new ServiceError(code, fileProblem(err, path), { file: path, problems: [fileProblem(err, path)] });
    }
    const opened = await openJson(text, path, path);
    if (opened.path) this.recent.add(opened.path);
    return opened;
  }

  async openProjectText(params: { fileName: string; content: string }): Promise<OpenedProject> {
    const { fileName, content } = params ?? {};
    if (typeof fileName !== 'string' || basename(fileName) === '' || typeof content !== 'string') {
      throw new ServiceError(ProjectErrorCode.unsupportedFile, 'an upload needs a file name and its content');
    }
    const lower = fileName.toLowerCase();
    if (lower.endsWith('.keras')) return importKerasUpload(fileName, Buffer.from(content, 'base64'));
    if (!lower.endsWith('.json')) throw projectFailure(ProjectErrorCode.unsupportedFile, fileName, [`is not a file Kiln opens: ${OPENS}`]);
    return openJson(content, fileName, null);
  }

  async saveProject(params: { path: string; project: ProjectFile; weightsFrom?: string }): Promise<SavedProject> {
    const path = userPath(params?.path, 'Saving');
    if (!path.endsWith(PROJECT_SUFFIX)) {
      throw projectFailure(ProjectErrorCode.invalidPath, path, [`Kiln saves projects as NAME${PROJECT_SUFFIX}: save as ${withProjectSuffix(path)}`]);
    }
    const parsed = parseProject(params.project);
    if (!parsed.ok) throw projectFailure(ProjectErrorCode.invalidProject, 'the project to save', parsed.errors);
    const folder = dirname(path);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw projectFailure(ProjectErrorCode.writeFailed, path, [`its folder ${folder} does not exist`]);
    const weightsFrom = typeof params.weightsFrom === 'string' ? params.weightsFrom : undefined;
    let carried;
    try {
      carried = await carryWeights(path, parsed.project, weightsFrom);
      writeFileAtomic(path, serializeProject(carried.project));
    } catch (err) {
      throw projectFailure(ProjectErrorCode.writeFailed, path, [`could not be written: ${fileProblem(err, path)}`]);
    }
    this.recent.add(path);
    const saved: SavedProject = { path, name: projectName(basename(path)), project: carried.project, hasWeights: carried.hasWeights, notes: carried.notes };
    if (carried.weightsFrom !== undefined) saved.weightsFrom = carried.weightsFrom;
    return saved;
  }

  async recentProjects(): Promise<RecentProject[]> {
    return this.recent.list();
  }

  async autosave(params: { project: ProjectFile; path?: string | null; name: string; weightsFrom?: string }): Promise<{ savedAt: string }> {
    const parsed = parseProject(params?.project);
    if (!parsed.ok) throw projectFailure(ProjectErrorCode.invalidProject, 'the document to autosave', parsed.errors);
    const doc: Omit<AutosavedDocument, 'savedAt'> = {
      project: parsed.project,
      path: typeof params.path === 'string' ? params.path : null,
      name: typeof params.name === 'string' && params.name ? params.name : 'Untitled',
    };
    if (typeof params.weightsFrom === 'string') doc.weightsFrom = params.weightsFrom;
    try {
      return { savedAt: this.autosaved.write(doc) };
    } catch (err) {
      throw new ServiceError(ProjectErrorCode.writeFailed, `the autosave could not be written: ${fileProblem(err, 'the config folder')}`);
    }
  }

  async clearAutosave(): Promise<void> {
    this.autosaved.clear();
  }

  async recoverAutosave(): Promise<AutosavedDocument | null> {
    return this.autosaved.read();
  }
}

/** A .json file's text: a Kiln project (validated, with line numbers) or a Keras model.to_json(). */
async function openJson(raw: string, file: string, path: string | null): Promise<OpenedProject> {
  const text = raw.replace(/^\uFEFF/, '');
  let lines: Map<string, number>;
  try {
    lines = jsonFieldLines(text);
  } catch (err) {
    if (!(err instanceof JsonSyntaxError)) throw err;
    throw projectFailure(ProjectErrorCode.invalidProject, file, [`is not valid JSON: ${err.message}`]);
  }
  const doc = JSON.parse(text) as unknown;
  if (isObject(doc) && doc.format === undefined && doc.class_name !== undefined) {
    return path ? importKerasProject(path, file, true) : importKerasUpload(file, Buffer.from(text, 'utf8'));
  }
  if (!isObject(doc) || doc.format === undefined) throw projectFailure(ProjectErrorCode.unsupportedFile, file, [`is neither a Kiln project (it has no "format": "kiln-project") nor a Keras model (model.to_json())`]);
  const parsed = parseProject(doc);
  if (!parsed.ok) throw projectFailure(ProjectErrorCode.invalidProject, file, parsed.errors.map((p) => withLine(p, lines)));

  const project = parsed.project;
  const notes: string[] = [];
  if (parsed.migratedFrom !== undefined) notes.push(`It was made by an older Kiln (version ${parsed.migratedFrom}): saving writes the current version.`);
  const opened: OpenedProject = { path, name: projectName(basename(file)), kind: 'project', project, hasWeights: false, notes };
  if (project.weights === undefined) return opened;
  const read = path ? readProjectWeights(path, project) : { ok: false as const, problems: [`its weights file ${project.weights} stays behind: an upload brings only the project file (open it by its path to keep them)`] };
  if (read.ok) {
    opened.hasWeights = true;
    opened.weightsFrom = read.file;
  } else {
    delete project.weights;
    notes.push(`Opened without weights: ${read.problems.join('; ')}.`);
  }
  return opened;
}
