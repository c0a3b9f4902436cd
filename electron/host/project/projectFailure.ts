import { ServiceError } from '../../../common/rpc/index.js';

/** A ServiceError about one file, naming it and every problem found; `details` is `{ file, problems }`. */
export function projectFailure(code: string, file: string, problems: string[]): ServiceError {
  const message = problems.length === 1 ? `${file}: ${problems[0]}` : `${file} has ${problems.length} problems:\n  ${problems.join('\n  ')}`;
  return new ServiceError(code, message, { file, problems });
}

/** A file system error in the user's terms. */
export function fileProblem(err: unknown, path: string): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT': return `${path} does not exist`;
    case 'EISDIR': return `${path} is a folder, not a file`;
    case 'EACCES':
    case 'EPERM': return `Kiln has no permission to use ${path}`;
    case 'ENOSPC': return 'the disk is full';
    case 'EROFS': return `${path} is on a read-only disk`;
    default: return e.message ?? String(err);
  }
}
