"""The live event stream: the event log read in commit order, and one LISTEN per process."""
