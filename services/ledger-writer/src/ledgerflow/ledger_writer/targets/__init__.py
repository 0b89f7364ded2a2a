"""The accounting systems the writer posts to, each behind the books interface (``ledger_writer.books``)."""
