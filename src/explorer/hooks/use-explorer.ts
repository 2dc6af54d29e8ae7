// Holds the explorer's state and runs the model's effects: dispatch(message) applies the pure update, renders the
// new state and starts each effect, whose result messages come back through dispatch. The current state lives in a
// ref as well, so key presses that arrive between renders build on each other instead of on a stale value.
import { useCallback, useRef, useState } from 'react';
import { update, type ExplorerState, type Message } from '../model/index.js';
import { runEffect, type ExplorerDeps } from '../services/run-effect.js';

export interface ExplorerHandle {
  state: ExplorerState;
  dispatch: (message: Message) => void;
  /** The latest state, for timers and callbacks outside render. */
  current: () => ExplorerState;
}

export function useExplorer(deps: ExplorerDeps, init: () => ExplorerState, onQuit: () => void): ExplorerHandle {
  const ref = useRef<ExplorerState | undefined>(undefined);
  ref.current ??= init();
  const [state, setState] = useState(ref.current);
  const dispatchRef = useRef<(message: Message) => void>(() => {});
  dispatchRef.current = (message: Message) => {
    const result = update(ref.current!, message);
    ref.current = result.state;
    setState(result.state);
    for (const effect of result.effects) {
      if (effect.type === 'quit') {
        onQuit();
        continue;
      }
      void runEffect(effect, deps).then((messages) => {
        for (const next of messages) dispatchRef.current(next);
      });
    }
  };
  const dispatch = useCallback((message: Message) => dispatchRef.current(message), []);
  const current = useCallback(() => ref.current!, []);
  return { state, dispatch, current };
}
