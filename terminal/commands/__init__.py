"""One module per ``posemu`` subcommand: ``add_arguments(parser)`` and ``run(args) -> exit code``.

``add_arguments`` runs for every invocation (argparse needs it), so a command module imports only the
standard library at the top and its real dependencies inside ``run``.
"""
