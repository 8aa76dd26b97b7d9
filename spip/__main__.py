from spip.cli.main import main

main()
