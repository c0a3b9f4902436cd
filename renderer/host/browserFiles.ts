/**
 * Files in the browser host, which has no dialogs that return paths: the browser's file picker
 * (the file's content, read here and uploaded) and downloads.
 */
import { uploadEncoding } from '../../common/contract/project.js';
import type { BrowserFiles, PickedFile } from './HostAdapter.js';

function readAsBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  });
}

/** Shows the browser's file picker (`accept`: ".json,.keras"); null when the user cancels. */
export function pickFile(accept: string): Promise<PickedFile | null> {
  return new Promise((resolve, reject) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = accept;
    input.style.display = 'none';
    const done = () => input.remove();
    input.addEventListener('cancel', () => {
      done();
      resolve(null);
    });
    input.addEventListener('change', () => {
      done();
      const file = input.files?.[0];
      if (!file) return resolve(null);
      const content = uploadEncoding(file.name) === 'base64' ? readAsBase64(file) : file.text();
      content.then((text) => resolve({ fileName: file.name, content: text }), reject);
    });
    document.body.append(input);
    input.click();
  });
}

/** Saves text as a download named `fileName`. */
export function downloadText(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Some browsers read the blob after click() returns: let it live a while.
  setTimeout(() => URL.revokeObjectURL(url), 40_000);
}

export const browserFiles: BrowserFiles = { pickFile, downloadText };

/** Whether the page's server runs on this machine, so paths the user types name their own files. */
export function serverIsLocal(location: Pick<Location, 'hostname'> = window.location): boolean {
  return ['localhost', '127.0.0.1', '[::1]', '::1'].includes(location.hostname);
}
