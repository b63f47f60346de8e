from .commands import main

if __name__ == "__main__":  # spawned crawl processes import this module as __mp_main__
    main()
