/**
 * One base error class with stable `code` strings. Tests assert codes, never
 * message text. User mistakes in configuration are diagnostics, not errors.
 */
export class KtsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'KtsError';
  }
}
