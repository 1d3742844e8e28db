from varcomms.cli.main import main

main()
