"""SalesPad glue: settings, Temporal client factory, CLI and the `salespad dev` supervisor."""
