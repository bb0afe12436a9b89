/**
 * Arguments for the server's commands when the user runs them from the palette, a menu or the
 * panel (pure, unit-tested). A command that arrives with arguments (from a code action or code
 * lens the server made) keeps them untouched.
 */

import { SERVER_COMMANDS } from './protocol';

export interface LspRange {
  start: { line: number; character: number };
  end: { line: number; character: number };
}

export interface EditorSnapshot {
  uri: string;
  languageId: string;
  /** The selection, when it is not empty. */
  selection?: LspRange;
  /** The function around the cursor, without the `@`. */
  function?: string;
}

export class CommandUnavailable extends Error {}

const ASM_LANGUAGES = ['asm', 'gas', 'arm64', 'assembly'];

export function isAssembly(editor: Pick<EditorSnapshot, 'uri' | 'languageId'>): boolean {
  return ASM_LANGUAGES.includes(editor.languageId) || /\.(s|S|asm)$/.test(editor.uri);
}

export function isIr(editor: Pick<EditorSnapshot, 'uri' | 'languageId'>): boolean {
  return editor.languageId === 'llvm' || /\.ll$/.test(editor.uri);
}

/** The arguments to send, or a CommandUnavailable saying what the user should open first. */
export function commandArguments(command: string, given: unknown[], editor: EditorSnapshot | undefined): unknown[] {
  if (given.length > 0) {
    return given;
  }
  switch (command) {
    case SERVER_COMMANDS.liftToIR: {
      if (!editor || !isAssembly(editor)) {
        throw new CommandUnavailable('irlens: open an assembly file (.s or .S) to lift it to LLVM IR.');
      }
      const args: Record<string, unknown> = { uri: editor.uri };
      if (editor.selection) {
        args.range = editor.selection;
      }
      return [args];
    }
    case SERVER_COMMANDS.suggestPasses: {
      if (!editor || !isIr(editor)) {
        throw new CommandUnavailable('irlens: open an LLVM IR file (.ll) to get pass suggestions.');
      }
      const args: Record<string, unknown> = { uri: editor.uri };
      if (editor.function) {
        args.function = editor.function;
      }
      return [args];
    }
    default:
      return given;
  }
}
