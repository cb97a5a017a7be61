//! Administrators: the console, its gate, and the operator's command line.

mod console;
