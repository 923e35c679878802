// A small typed DOM builder. Every string becomes a text node or a property value:
// nothing is ever parsed as HTML, so user data cannot turn into markup or script.

export type Child = Node | string | number | null | undefined | false | Child[];

type Listener<E extends Event = Event> = (event: E) => void;

export interface Props {
  class?: string;
  id?: string;
  text?: string;
  title?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  href?: string;
  src?: string;
  alt?: string;
  for?: string;
  role?: string;
  hidden?: boolean;
  disabled?: boolean;
  checked?: boolean;
  selected?: boolean;
  required?: boolean;
  multiple?: boolean;
  accept?: string;
  target?: string;
  rel?: string;
  rows?: number;
  min?: string;
  max?: string;
  step?: string;
  maxLength?: number;
  inputMode?: string;
  autocomplete?: string;
  /** An <input>'s <datalist> id. */
  list?: string;
  loading?: "lazy" | "eager";
  aria?: Record<string, string>;
  data?: Record<string, string>;
  onClick?: Listener<MouseEvent>;
  onInput?: Listener;
  onChange?: Listener;
  onSubmit?: Listener<SubmitEvent>;
  onKeydown?: Listener<KeyboardEvent>;
}

const ATTRIBUTES: Record<string, string> = {
  for: "for",
  role: "role",
  min: "min",
  max: "max",
  step: "step",
  inputMode: "inputmode",
  autocomplete: "autocomplete",
  list: "list",
  loading: "loading",
  accept: "accept",
  target: "target",
  rel: "rel",
};

/** http(s), same-origin paths and blob: (local previews) only; anything else is dropped. */
export function safeUrl(url: string | null | undefined, base = "http://localhost/"): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url, base);
    if (parsed.protocol === "http:" || parsed.protocol === "https:" || parsed.protocol === "blob:") {
      return url;
    }
  } catch {
    return null;
  }
  return null;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props) applyProps(node, props);
  append(node, children);
  // After the children: a <select>'s value needs its options in place.
  if (props?.value !== undefined) (node as unknown as { value: string }).value = props.value;
  return node;
}

function applyProps(node: HTMLElement, props: Props): void {
  for (const [key, value] of Object.entries(props) as [keyof Props, unknown][]) {
    if (value === undefined || value === null || value === false || key === "value") continue;
    switch (key) {
      case "class":
        node.className = String(value);
        break;
      case "text":
        node.textContent = String(value);
        break;
      case "href":
      case "src": {
        const url = safeUrl(String(value));
        if (url !== null) node.setAttribute(key, url);
        break;
      }
      case "aria":
        for (const [name, v] of Object.entries(value as Record<string, string>)) {
          node.setAttribute(`aria-${name}`, v);
        }
        break;
      case "data":
        for (const [name, v] of Object.entries(value as Record<string, string>)) {
          node.dataset[name] = v;
        }
        break;
      case "onClick":
      case "onInput":
      case "onChange":
      case "onSubmit":
      case "onKeydown":
        node.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
        break;
      default: {
        const attribute = ATTRIBUTES[key];
        if (attribute) node.setAttribute(attribute, String(value));
        else (node as unknown as Record<string, unknown>)[key] = value;
      }
    }
  }
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace everything inside ``parent``. */
export function mount(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}
