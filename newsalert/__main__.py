from newsalert.service.cli import main

main()
