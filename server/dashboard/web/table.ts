import { html } from "htm/preact";

/** A table's header row: one cell per column name, in order. */
export function TableHead(props: { columns: string[] }) {
  return html`<thead>
    <tr>
      ${props.columns.map((c) => html`<th>${c}</th>`)}
    </tr>
  </thead>`;
}
