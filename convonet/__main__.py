"""``python -m convonet`` runs the command line."""

from convonet.cli import main

main()
