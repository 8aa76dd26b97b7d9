from spip.cli.launch import main

main()
