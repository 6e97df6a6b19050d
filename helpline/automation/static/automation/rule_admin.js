/* Routing rule admin: each condition and action line shows only what it needs.

   An action shows its kind and the one target that kind uses (the mapping comes
   from the server, in the kind select's data-targets); a condition shows the topic
   field key only for "Help topic field". Hidden controls are also disabled, so
   they are not submitted: switching an action from "Set department" to "Assign to
   team" does not leave a stray department behind. A control the server flagged
   with an error stays visible on page load, so its message is never hidden.

   A progressive enhancement: without this script every control is on the page and
   the form works the same. */
"use strict";
{
    const HIDDEN = "rule-hidden";

    function boxOf(control) {
        return control.closest(".fieldBox") || control.closest(".form-row");
    }

    function show(control, visible) {
        const box = boxOf(control);
        box.classList.toggle(HIDDEN, !visible);
        control.disabled = !visible;
    }

    function hasError(control) {
        return boxOf(control).classList.contains("errors");
    }

    function controlIn(row, name) {
        return row.querySelector(`[name$="-${name}"]`);
    }

    function isTemplate(control) {
        return control.name.includes("__prefix__");
    }

    // --- actions ------------------------------------------------------------

    function setUpAction(row) {
        const kind = controlIn(row, "kind");
        if (!kind || isTemplate(kind) || kind.dataset.ruleReady) {
            return;
        }
        kind.dataset.ruleReady = "1";
        const targets = JSON.parse(kind.dataset.targets);
        const valueLabels = JSON.parse(kind.dataset.valueLabels || "{}");
        const columns = [...new Set(Object.values(targets))];
        const value = controlIn(row, "value");
        const valueLabel = value && row.querySelector(`label[for="${value.id}"]`);
        const valueHelp = value && document.getElementById(`${value.id}_helptext`);
        const originalLabel = valueLabel ? valueLabel.textContent : "";
        const suffix = originalLabel.trim().endsWith(":") ? ":" : "";

        function update(onLoad) {
            const wanted = targets[kind.value];
            for (const column of columns) {
                const control = controlIn(row, column);
                if (control) {
                    show(control, column === wanted || (onLoad && hasError(control)));
                }
            }
            if (valueLabel) {
                const specific = valueLabels[kind.value];
                valueLabel.textContent = specific ? specific.label + suffix : originalLabel;
                value.type = specific && specific.type ? specific.type : "text";
                if (valueHelp) {
                    valueHelp.classList.toggle(HIDDEN, Boolean(specific));
                }
            }
        }

        kind.addEventListener("change", () => update(false));
        update(true);
    }

    // --- conditions ---------------------------------------------------------

    function setUpCondition(row) {
        const field = controlIn(row, "field");
        const key = controlIn(row, "extra_key");
        if (!field || !key || isTemplate(field) || field.dataset.ruleReady) {
            return;
        }
        field.dataset.ruleReady = "1";
        const keyFor = field.dataset.keyFor;

        function update(onLoad) {
            show(key, field.value === keyFor || (onLoad && (hasError(key) || key.value !== "")));
        }

        field.addEventListener("change", () => update(false));
        update(true);
    }

    function setUp(row) {
        if (row.closest("#actions-group")) {
            setUpAction(row);
        } else if (row.closest("#conditions-group")) {
            setUpCondition(row);
        }
    }

    function start() {
        document.documentElement.classList.add("rule-admin-js");
        for (const row of document.querySelectorAll(".rule-lines .inline-related")) {
            setUp(row);
        }
        // "Add another action/condition": the admin's inlines.js adds the row.
        document.addEventListener("formset:added", (event) => setUp(event.target));
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
}
