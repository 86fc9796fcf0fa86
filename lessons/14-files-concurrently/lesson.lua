return {
  title = "Processing files concurrently",
  summary = "Walk a directory with asyncio.fs and process every file: sequential versus concurrent.",
  exercises = {
    {
      name = "word_count_files",
      title = "Count and index every file at once",
      hints = {
        "Inside the walk loop, each file waits for its index call before the walk goes on. How long does that make 4 files?",
        "Could you first collect the file paths in a table, and only then start the work for all of them?",
        "A small async function handle(path) that returns relative, words; one per file, run with gather or tasks. How do you get both values back from each?",
      },
      grants = { fs = true },
    },
  },
}
