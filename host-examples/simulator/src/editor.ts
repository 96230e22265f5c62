// The policy editor: CodeMirror 6 with JSON highlighting and the engine's own validation errors
// and lint warnings as inline markers (underline, gutter mark, tooltip) at their line and column.

import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { json } from "@codemirror/lang-json";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { type Diagnostic as CmDiagnostic, lintGutter, setDiagnostics } from "@codemirror/lint";
import { EditorSelection, EditorState, type Text } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import type { Diagnostic, ValidationReport } from "tls-compliance";

/**
 * The document offset of a 1-based line and column, columns counting characters (Unicode scalar
 * values, as the engine does), not UTF-16 units as CodeMirror does.
 */
export function offsetOf(doc: Text, line: number, column: number): number {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  let pos = l.from;
  let c = 1;
  for (const ch of l.text) {
    if (c >= column) break;
    pos += ch.length;
    c++;
  }
  return pos;
}

/** Where the JSON token at `from` ends: a whole string, or up to the next delimiter. */
function tokenEnd(doc: Text, from: number): number {
  const line = doc.lineAt(from);
  const rest = line.text.slice(from - line.from);
  if (rest.startsWith('"')) {
    const m = rest.match(/^"(?:[^"\\]|\\.)*"?/);
    return from + (m ? m[0].length : 1);
  }
  const m = rest.match(/^[^,}\]\s]+/);
  return from + Math.max(m ? m[0].length : 0, 1);
}

export interface PolicyEditor {
  view: EditorView;
  text(): string;
  setText(text: string): void;
  showReport(report: ValidationReport): void;
  goTo(line: number, column: number): void;
}

export function createEditor(parent: HTMLElement, text: string, onChange: (text: string) => void): PolicyEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        bracketMatching(),
        highlightActiveLine(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        json(),
        EditorView.lineWrapping,
        lintGutter(),
        // No Tab binding: Tab moves the focus on, so the page stays usable by keyboard.
        keymap.of([...defaultKeymap, ...historyKeymap]),
        EditorView.contentAttributes.of({ "aria-label": "Policy JSON", "aria-multiline": "true" }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });

  const toCm = (d: Diagnostic<string>, severity: "error" | "warning"): CmDiagnostic | null => {
    if (d.line === undefined || d.column === undefined) return null;
    const doc = view.state.doc;
    const from = offsetOf(doc, d.line, d.column);
    return {
      from,
      to: Math.min(tokenEnd(doc, from), doc.length),
      severity,
      source: d.code,
      message: d.message + (d.help ? ` (${d.help})` : ""),
    };
  };

  return {
    view,
    text: () => view.state.doc.toString(),
    setText(next: string) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: next } });
    },
    showReport(report: ValidationReport) {
      const diagnostics = [
        ...report.errors.map((e) => toCm(e, "error")),
        ...report.warnings.map((w) => toCm(w, "warning")),
      ].filter((d): d is CmDiagnostic => d !== null);
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    goTo(line: number, column: number) {
      const pos = offsetOf(view.state.doc, line, column);
      view.dispatch({ selection: EditorSelection.cursor(pos), scrollIntoView: true });
      view.focus();
    },
  };
}
