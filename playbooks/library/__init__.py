"""One module per root cause; `playbooks.registry` finds every Playbook subclass here."""
