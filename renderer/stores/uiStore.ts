import { createStore, type StoreApi } from 'zustand/vanilla';
import type { StudioMode } from '../features/runs/ModeSwitch.js';

export type Theme = 'dark' | 'light';
/** The right-hand pane's views. */
export type SideTab = 'layer' | 'data' | 'training' | 'summary' | 'code' | 'run';

export interface UiState {
  theme: Theme;
  /** The editor, or the runs dashboard. */
  mode: StudioMode;
  sideTab: SideTab;
  /** The profiler's heat map on the editor's layers: 0..1 and a figure per layer id, or off. */
  heat: { values: ReadonlyMap<string, number>; labels: ReadonlyMap<string, string> } | null;
  /** The keyboard-shortcut overlay. */
  helpOpen: boolean;
  /** Why the last editing action was refused (or other news for the user), until dismissed. */
  notice: string | null;
  /** Shows a refusal (null clears it): the editor's actions return one or null. */
  say(message: string | null): void;
  setTheme(theme: Theme): void;
  toggleTheme(): void;
  showTab(tab: SideTab): void;
  setMode(mode: StudioMode): void;
  setHeat(heat: UiState['heat']): void;
  setHelpOpen(open: boolean): void;
}

export type UiStore = StoreApi<UiState>;

/** Where the choices that outlive a session are kept (the browser's localStorage, or nothing). */
export interface UiMemory {
  get(key: string): string | null;
  set(key: string, value: string): void;
}

const THEME_KEY = 'kiln.theme';

/** View state that is not part of any document: theme, which side tab shows, overlays. */
export function createUiStore(memory?: UiMemory, onTheme?: (theme: Theme) => void): UiStore {
  const saved = memory?.get(THEME_KEY);
  const theme: Theme = saved === 'light' ? 'light' : 'dark';
  onTheme?.(theme);
  return createStore<UiState>()((set, get) => ({
    theme,
    mode: 'model',
    heat: null,
    sideTab: 'data',
    helpOpen: false,
    notice: null,
    say(message) {
      set({ notice: message });
    },
    setTheme(next) {
      memory?.set(THEME_KEY, next);
      onTheme?.(next);
      set({ theme: next });
    },
    toggleTheme() {
      get().setTheme(get().theme === 'dark' ? 'light' : 'dark');
    },
    showTab(tab) {
      set({ sideTab: tab });
    },
    setMode(mode) {
      set({ mode });
    },
    setHeat(heat) {
      set({ heat });
    },
    setHelpOpen(open) {
      set({ helpOpen: open });
    },
  }));
}
