"""``python -m mlbundle_training.bench {ncf,classifier} [flags]``."""

import sys

from . import main

sys.exit(main())
