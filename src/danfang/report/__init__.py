"""Reports: the rich terminal summary and the self-contained HTML report."""
