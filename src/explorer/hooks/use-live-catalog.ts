// Live updates: loads the catalog's paths once, then polls catalog.refresh() so that versions a watcher appends
// in another process appear without a restart. Only a refresh that applied records re-reads paths and the open
// path's history; a failed refresh is shown and polling goes on.
import { useEffect } from 'react';
import type { ExplorerCatalog, ExplorerState, Message } from '../model/index.js';
import { errorText } from '../services/run-effect.js';

export function useLiveCatalog(
  catalog: ExplorerCatalog,
  dispatch: (message: Message) => void,
  current: () => ExplorerState,
  pollIntervalMs: number,
  initialPath: string | undefined,
): void {
  useEffect(() => {
    dispatch({ type: 'paths', paths: catalog.paths() });
    if (initialPath) dispatch({ type: 'select-path', display: initialPath });
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      try {
        const applied = await catalog.refresh();
        if (stopped) return;
        if (applied > 0) {
          dispatch({ type: 'paths', paths: catalog.paths() });
          const open = current().versions;
          if (open) dispatch({ type: 'history', ref: open.ref, history: catalog.history(open.ref.root, open.ref.path), open: false });
        }
      } catch (error) {
        if (!stopped) dispatch({ type: 'error', text: `reading new records failed: ${errorText(error)}` });
      }
      if (!stopped) timer = setTimeout(tick, pollIntervalMs);
    };
    timer = setTimeout(tick, pollIntervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [catalog, dispatch, current, pollIntervalMs, initialPath]);
}
