/**
 * Terminal-safe text. Tensor names, file names and metadata come from the files and may hold control
 * characters: an ESC sequence in a tensor name could recolour, move the cursor, retitle the window or
 * hide the lines before it. Every such character is written as a `\uXXXX` escape instead (the same
 * spelling JSON uses, so JSON output stays valid), also when the output is piped.
 */

/** C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi overrides/isolates. */
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every unsafe character escaped (tab and newline kept). */
export function printable(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}

/** The progress bar's own "return to column 0, clear the line": the one control sequence let through. */
export const CLEAR_LINE = '\r\x1b[K';

/**
 * printable(), keeping a CLEAR_LINE at the very start of the text (where the progress bar puts it, and
 * where no name from a file can be).
 */
export function printableKeepingClear(text: string): string {
  return text.startsWith(CLEAR_LINE)
    ? CLEAR_LINE + printable(text.slice(CLEAR_LINE.length))
    : printable(text);
}
