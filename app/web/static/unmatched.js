// The unmatched page: "add as trigger to…" a template, with the template's current version.
"use strict";
(() => {
  const { api, toast, format, data } = kefu;
  const T = data("page-data").strings;
  for (const form of document.querySelectorAll("form.add-trigger")) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const row = form.closest("tr");
      const templateId = form.elements.template_id.value.trim();
      const problem = form.querySelector(".field-error");
      problem.textContent = "";
      const current = await api("GET", `/v1/library/templates/${encodeURIComponent(templateId)}`);
      if (!current.ok) {
        problem.textContent = current.body ? current.body.error.message : String(current.status);
        return;
      }
      const answer = await api("POST", `/v1/library/unmatched/${row.dataset.id}/add-trigger`,
        { template_id: templateId }, { "If-Match": `"${current.body.version}"` });
      if (answer.ok) {
        toast(format(T.added_trigger, { template: templateId }));
        row.classList.add("done");
        form.replaceChildren(format(T.added_trigger, { template: templateId }));
      } else {
        problem.textContent = answer.body ? answer.body.error.message : String(answer.status);
      }
    });
  }
})();
