// Deterministic pseudo-random bytes for test trees: the same (size, seed) always gives the same content, and
// different seeds give content that shares no chunks.
export function seededBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
