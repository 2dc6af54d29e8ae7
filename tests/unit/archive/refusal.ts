// For the archive gate tests: runs `fn`, which must refuse with an ArchiveError, and returns the refusal's reason.
import { expect } from 'vitest';
import { ArchiveError } from '../../../src/errors.js';

export function refusalReason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ArchiveError);
    return String((error as ArchiveError).details.reason);
  }
  throw new Error('expected a refusal');
}
