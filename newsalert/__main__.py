from newsalert.service.cli import main

if __name__ == "__main__":  # crawl processes are spawned and re-import this module
    main()
