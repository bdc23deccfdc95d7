// Named queries: a picker filled from /api/queries and, for the chosen one, a form with its typed parameters.
// The values go to /api/queries/{name} as they are; the server's binder checks and binds them (no text
// substitution in the page), and its message names the parameter when a value is wrong.

export async function loadCatalogue() {
  const response = await fetch("/api/queries", { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`the named queries could not be loaded (${response.status})`);
  return (await response.json()).queries;
}

// The SPARQL text as the editor shows it: the title as a comment instead of the API's #+ header.
export function displayText(entry) {
  return `# ${entry.title}\n` + entry.sparql.replace(/^(?:#\+[^\n]*\n)+\s*/, "\n");
}

const TYPE_HINTS = {
  iri: "an IRI, e.g. https://w3id.org/klynge/id/…",
  integer: "a whole number",
  year: "a year, e.g. 2020",
  lang: "text with a language tag, e.g. Innovationskraft@da",
  string: "text",
};

export function renderForm(form, entry, values) {
  form.replaceChildren();
  if (!entry || !entry.parameters.length) {
    form.hidden = true;
    return;
  }
  const fieldset = document.createElement("fieldset");
  const legend = document.createElement("legend");
  legend.textContent = "Parameters";
  fieldset.appendChild(legend);
  for (const parameter of entry.parameters) {
    const id = `param-${parameter.name}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = parameter.name + (parameter.required ? " (required)" : "");
    const input = document.createElement("input");
    input.id = id;
    input.name = parameter.name;
    input.type = parameter.type === "integer" ? "number" : "text";
    input.required = parameter.required;
    input.autocomplete = "off";
    input.spellcheck = false;
    input.value = values.get(parameter.name) ?? parameter.default ?? (parameter.required ? parameter.example : "");
    input.placeholder = parameter.example;
    const help = document.createElement("p");
    help.id = `${id}-help`;
    help.className = "hint";
    help.textContent = `${parameter.description} (${TYPE_HINTS[parameter.type] || parameter.type})`;
    input.setAttribute("aria-describedby", help.id);
    const row = document.createElement("div");
    row.className = "parameter";
    row.append(label, input, help);
    fieldset.appendChild(row);
  }
  form.appendChild(fieldset);
  form.hidden = false;
}

// The form's non-empty values, in the parameters' order.
export function formValues(form) {
  const values = new URLSearchParams();
  for (const input of form.querySelectorAll("input")) {
    if (input.value.trim()) values.set(input.name, input.value.trim());
  }
  return values;
}

export function clearInvalid(form) {
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
}

// Marks the field a 400 message names ("parameter 'policy' …").
export function markInvalid(form, message) {
  for (const input of form.querySelectorAll("input")) {
    if (new RegExp(`['"\u201c]${input.name}['"\u201d]`).test(message)) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
  }
}
