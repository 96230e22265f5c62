// A small element builder: the page is plain DOM, with no framework.

export type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * Creates an element. Attributes whose value is a function named `on…` become event listeners;
 * `false`, `null` and `undefined` leave an attribute out; `true` sets it empty.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      el.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function fill(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/** The element with this id, which the page must have. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

/** `<code>` for a value as written in a policy or scenario. */
export const code = (text: string): HTMLElement => h("code", {}, text);

/** A small coloured label for a verdict, with the verdict as its text (colour is not the only cue). */
export function verdictBadge(verdict: string): HTMLElement {
  return h("span", { class: `badge verdict-${verdict}` }, verdict);
}

/** Values as `<code>`, separated by commas. */
export function codeList(items: string[]): Child[] {
  return items.flatMap((item, i) => (i ? [", ", code(item)] : [code(item)]));
}
