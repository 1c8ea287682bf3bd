"""``python -m viralsim``: the same command line as the ``viralsim`` script."""

from viralsim.cli import main

raise SystemExit(main())
