"""From the IR to text: the handler (render, pyexpr), its generated tests (testgen),
the deploy files (deploy) and the rewritten input template (rewrite)."""
