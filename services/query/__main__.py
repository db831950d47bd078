from services.query.workers import main

main()
