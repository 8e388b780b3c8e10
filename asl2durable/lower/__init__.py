"""From a validated definition to the IR: lowering (lower), the IR itself (ir), each
machine's structure (structure), and which Task integrations translate, and how (integrations)."""
