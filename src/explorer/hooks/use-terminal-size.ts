// The terminal's size, kept current on stdout 'resize' so the explorer re-lays out when the window changes.
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';
import type { TerminalSize } from '../model/index.js';

/** Fallback when stdout does not report a size (80x24, the classic terminal). */
const DEFAULT_SIZE: TerminalSize = { width: 80, height: 24 };

export function useTerminalSize(fixed?: TerminalSize): TerminalSize {
  const { stdout } = useStdout();
  const read = (): TerminalSize => fixed ?? { width: stdout.columns || DEFAULT_SIZE.width, height: stdout.rows || DEFAULT_SIZE.height };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) {
      setSize(fixed);
      return;
    }
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
    // read() depends only on stdout and fixed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [stdout, fixed?.width, fixed?.height]);
  return size;
}
