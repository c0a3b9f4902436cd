/**
 * Electron's main process: one window, a strict security policy, and the engine host supervised
 * as a utility process. The renderer's files are served from the `kiln://app` scheme, not file://.
 */
import { app, BrowserWindow, dialog, ipcMain, net, protocol, session } from 'electron';
import { basename, dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { withProjectSuffix } from '../../common/contract/project.js';
import { EngineSupervisor } from './EngineSupervisor.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const rendererDir = join(outDir, 'renderer');
const APP_ORIGIN = 'kiln://app';

protocol.registerSchemesAsPrivileged([{ scheme: 'kiln', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

const engine = new EngineSupervisor(join(outDir, 'electron', 'host', 'engineHost.js'));

function serveRenderer(): void {
  protocol.handle('kiln', (request) => {
    const url = new URL(request.url);
    const relative = normalize(decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname)).replace(/^([/\\])+/, '');
    const file = join(rendererDir, relative);
    if (url.host !== 'app' || !file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
    return net.fetch(pathToFileURL(file).toString());
  });
}

function fromOurPage(frameUrl: string | undefined): boolean {
  return frameUrl !== undefined && new URL(frameUrl).origin === APP_ORIGIN;
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Kiln',
    backgroundColor: '#16181d',
    webPreferences: {
      preload: join(outDir, 'electron', 'preload', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(APP_ORIGIN)) event.preventDefault();
  });
  win.webContents.on('did-finish-load', () => void engine.connect(win.webContents));
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

void app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  serveRenderer();
  ipcMain.handle('kiln:restart-engine', async (event) => {
    if (!fromOurPage(event.senderFrame?.url)) throw new Error('refused: not the Kiln window');
    await engine.restart(event.sender);
  });
  ipcMain.handle('kiln:pick-data-path', async (event, kind: unknown) => {
    if (!fromOurPage(event.senderFrame?.url)) throw new Error('refused: not the Kiln window');
    const win = BrowserWindow.fromWebContents(event.sender);
    const options: Electron.OpenDialogOptions = kind === 'folder'
      ? { title: 'Choose a dataset folder', properties: ['openDirectory'] }
      : { title: 'Choose a dataset file', properties: ['openFile'], filters: [{ name: 'Datasets', extensions: ['csv', 'tsv', 'npz', 'gz', 'ubyte'] }, { name: 'All files', extensions: ['*'] }] };
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  ipcMain.handle('kiln:pick-project-to-open', async (event) => {
    if (!fromOurPage(event.senderFrame?.url)) throw new Error('refused: not the Kiln window');
    const win = BrowserWindow.fromWebContents(event.sender);
    // Filters match the last extension only (macOS ignores "kiln.json"): .json covers projects and Keras JSON.
    const options: Electron.OpenDialogOptions = {
      title: 'Open a project or a Keras model',
      properties: ['openFile'],
      filters: [{ name: 'Kiln projects and Keras models', extensions: ['json', 'keras'] }, { name: 'Kiln projects', extensions: ['json'] }, { name: 'Keras models', extensions: ['keras', 'json'] }],
    };
    const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  ipcMain.handle('kiln:pick-project-save-path', async (event, defaultName: unknown) => {
    if (!fromOurPage(event.senderFrame?.url)) throw new Error('refused: not the Kiln window');
    const win = BrowserWindow.fromWebContents(event.sender);
    const options: Electron.SaveDialogOptions = {
      title: 'Save the project',
      defaultPath: typeof defaultName === 'string' && defaultName ? basename(defaultName) : 'Untitled.kiln.json',
      filters: [{ name: 'Kiln projects', extensions: ['json'] }],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    };
    const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
    return result.canceled || !result.filePath ? null : withProjectSuffix(result.filePath);
  });
  createWindow();
});

app.on('window-all-closed', () => {
  engine.stop();
  app.quit();
});
