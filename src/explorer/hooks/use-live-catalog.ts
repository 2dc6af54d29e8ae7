// Live updates: loads the catalog's paths once, then polls catalog.refresh() so that versions a watcher appends
// in another process appear without a restart. Only a refresh that applied records re-reads paths and the open
// path's history; a failed refresh is shown and polling goes on. The next poll waits at least four times as long as
// the last refresh's work took, so a huge catalog under a busy watcher never spends most of its time re-sorting.
// With --skip-damaged, the count of damaged regions read past is passed on after the first load and every refresh.
import { useEffect } from 'react';
import type { ExplorerCatalog, ExplorerState, Message } from '../model/index.js';
import { errorText, historyMessage } from '../services/run-effect.js';

/** Polls are spaced at least this many times the previous refresh's duration apart (keeps the UI responsive). */
const LIVE_WORK_FACTOR = 4;

export function useLiveCatalog(
  catalog: ExplorerCatalog,
  dispatch: (message: Message) => void,
  current: () => ExplorerState,
  pollIntervalMs: number,
  initialPath: string | undefined,
  skippedRegions: (() => number) | undefined,
): void {
  useEffect(() => {
    const noteDamage = () => {
      const count = skippedRegions?.() ?? 0;
      if (count > current().skippedRegions) dispatch({ type: 'skipped-regions', count });
    };
    dispatch({ type: 'paths', paths: catalog.paths() });
    noteDamage();
    if (initialPath) dispatch({ type: 'select-path', display: initialPath });
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const started = performance.now();
      try {
        const applied = await catalog.refresh();
        if (stopped) return;
        noteDamage();
        if (applied > 0) {
          dispatch({ type: 'paths', paths: catalog.paths() });
          const open = current().versions;
          if (open) dispatch(historyMessage(catalog, open.ref, false));
        }
      } catch (error) {
        if (!stopped) dispatch({ type: 'error', text: `reading new records failed: ${errorText(error)}` });
      }
      const workMs = performance.now() - started;
      if (!stopped) timer = setTimeout(tick, Math.max(pollIntervalMs, LIVE_WORK_FACTOR * workMs));
    };
    timer = setTimeout(tick, pollIntervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [catalog, dispatch, current, pollIntervalMs, initialPath, skippedRegions]);
}
