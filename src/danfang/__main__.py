from danfang.cli import main

main()
