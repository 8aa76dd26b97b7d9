from spip.cli import main

main()
