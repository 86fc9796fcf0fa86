-- Checks for the all_or_nothing exercise.
return {
  {
    name = "a trip with no problems is booked",
    points = 1,
    run = function(t)
      local r = t.call(t.load().book_trip, nil)
      t.no_error(r)
      t.eq(r.values[1], "trip booked", "all three bookings succeed")
      t.eq(r.output, "1.0 flight booked\n2.0 hotel booked\n5.0 car booked\n", "each booking in its own time")
      t.time(r, 5.0)
    end,
  },
  {
    name = "a failed hotel fails the trip at once",
    points = 2,
    run = function(t)
      local r = t.call(t.load().book_trip, "no rooms left")
      t.no_error(r)
      t.eq(r.values[1], "trip failed: no rooms left", "the hotel's error, after \"trip failed: \"")
      t.time(r, 2.0, {
        [5.0] = "5.0 s: the trip waited for the car although the hotel had failed at 2.0.",
      })
    end,
  },
  {
    name = "the car booking is cancelled, not made",
    points = 2,
    run = function(t)
      local book_trip = t.load().book_trip
      -- The program goes on after book_trip returns: a car booking left
      -- running (gather under pcall) would still be made at 5.0.
      local r = t.call(function()
        local result = await(book_trip("no rooms left"))
        await(asyncio.sleep(4))
        return result
      end)
      t.no_error(r)
      t.eq(r.output, "1.0 flight booked\n2.0 car booking cancelled\n",
        "when the hotel fails at 2.0, the car booking still in progress should be cancelled then, "
        .. "not left running and completed at 5.0 (gather does not cancel the others; a TaskGroup does)")
    end,
  },
}
