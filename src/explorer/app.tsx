// The explorer's root component: a thin view over the model (model/), wired to the terminal by hooks (size,
// keys, live catalog) and to the store by services. Four lines of chrome (title, sub-title, status, one spare)
// around one body: the path list, the versions list, a document (preview or diff), or an overlay.
import { Box, useApp, useInput } from 'ink';
import { useEffect } from 'react';
import {
  bodyHeight,
  initialState,
  pathRows,
  splitKeys,
  statusText,
  subtitleText,
  titleText,
  type ExplorerState,
  type TerminalSize,
} from './model/index.js';
import { useExplorer } from './hooks/use-explorer.js';
import { useLiveCatalog } from './hooks/use-live-catalog.js';
import { useTerminalSize } from './hooks/use-terminal-size.js';
import { DocumentView } from './components/DocumentView.js';
import { Line } from './components/Line.js';
import { OverlayView } from './components/Overlay.js';
import { PathList } from './components/PathList.js';
import { ColourContext, type Role } from './components/Theme.js';
import { VersionList } from './components/VersionList.js';
import type { ExplorerDeps } from './services/run-effect.js';
import { EXPLORER_LIMITS } from '../util/limits.js';

export interface ExplorerAppProps {
  deps: ExplorerDeps;
  logDir: string;
  /** Open this display path (or filter by it) once the catalog is loaded. */
  initialPath?: string;
  colour?: boolean;
  pollIntervalMs?: number;
  /** A fixed size instead of the terminal's (tests). */
  size?: TerminalSize;
  /** Called after the user quits (the app has asked Ink to exit). */
  onQuit?: () => void;
}

export function ExplorerApp(props: ExplorerAppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(props.size);
  const { state, dispatch, current } = useExplorer(
    props.deps,
    () => initialState({ size, cwd: props.deps.cwd, home: props.deps.home }),
    () => {
      props.onQuit?.();
      exit();
    },
  );
  useEffect(() => {
    if (current().size.width !== size.width || current().size.height !== size.height) dispatch({ type: 'resize', size });
  }, [size.width, size.height, current, dispatch, size]);
  useLiveCatalog(props.deps.catalog, dispatch, current, props.pollIntervalMs ?? EXPLORER_LIMITS.pollIntervalMs, props.initialPath, props.deps.skippedRegions);
  useInput((input, key) => {
    for (const one of splitKeys(input, key)) dispatch({ type: 'key', input: one.input, key: one.key });
  });
  return (
    <ColourContext.Provider value={props.colour ?? true}>
      <Screen state={state} logDir={props.logDir} />
    </ColourContext.Provider>
  );
}

const STATUS_ROLE: Record<'info' | 'error' | 'busy', Role> = { info: 'info', error: 'error', busy: 'busy' };

function Screen({ state, logDir }: { state: ExplorerState; logDir: string }) {
  const { width } = state.size;
  const height = bodyHeight(state.size.height);
  const rows = pathRows(state);
  return (
    <Box flexDirection="column" width={width}>
      <Line text={titleText(state, logDir, width)} role="title" />
      <Line text={subtitleText(state, rows.length, width)} role="subtitle" />
      <Body state={state} height={height} />
      <Line text={statusText(state, width)} role={state.status ? STATUS_ROLE[state.status.tone] : 'hint'} />
    </Box>
  );
}

function Body({ state, height }: { state: ExplorerState; height: number }) {
  const { width } = state.size;
  if (state.overlay) return <OverlayView overlay={state.overlay} height={height} width={width} />;
  if (state.view === 'versions' && state.versions) return <VersionList versions={state.versions} height={height} width={width} />;
  if (state.view === 'document' && state.document) return <DocumentView document={state.document} height={height} width={width} />;
  const empty = !state.loaded
    ? 'Loading…'
    : state.paths.length === 0
      ? 'The log is empty: nothing has been recorded yet. Start `synclog watch` on a folder; new versions appear here live.'
      : 'No path matches the filter (Esc clears it).';
  return <PathList rows={pathRows(state)} cursor={state.pathList.cursor} top={state.pathList.top} height={height} width={width} emptyText={empty} />;
}
