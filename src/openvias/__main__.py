from openvias.cli.main import main

main()
