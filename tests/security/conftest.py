def pytest_collection_modifyitems(items):
    """Schemathesis names each operation's test `test_x[GET /path]` but, under pytest 9, gives
    all of them the function's node id; pytest-xdist schedules and reports by node id, so
    without an id of its own each function would run one operation instead of all of them."""
    for item in items:
        label = getattr(item, "operation_label", None)
        if label and item.id.params is None:
            item._id = item.id.with_params(label)
