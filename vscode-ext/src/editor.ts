/** What the extension reads from the active editor and from a hover (thin, over vscode). */

import * as vscode from 'vscode';
import { type EditorSnapshot, isIr } from './commandArgs';
import { functionAt } from './panel/ir';

/** The document, selection and function at the cursor of `editor`. */
export function snapshot(editor: vscode.TextEditor | undefined): EditorSnapshot | undefined {
  if (!editor) {
    return undefined;
  }
  const document = editor.document;
  const selection = editor.selection;
  return {
    uri: document.uri.toString(),
    languageId: document.languageId,
    selection: selection.isEmpty
      ? undefined
      : {
          start: { line: selection.start.line, character: selection.start.character },
          end: { line: selection.end.line, character: selection.end.character },
        },
    function: isIr({ uri: document.uri.toString(), languageId: document.languageId })
      ? functionAt(document.getText().split(/\r?\n/), selection.active.line)
      : undefined,
  };
}

/** A hover's contents as one Markdown text, or undefined when it is empty. */
export function hoverMarkdown(hover: vscode.Hover | null | undefined): string | undefined {
  if (!hover) {
    return undefined;
  }
  const parts = hover.contents.map((content) => (typeof content === 'string' ? content : content.value));
  const text = parts.join('\n\n').trim();
  return text || undefined;
}
