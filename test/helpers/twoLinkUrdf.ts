/** A two-link URDF with limits and a ros2_control block (position + effort on one joint). */
export const TWO_LINK_URDF = `<?xml version="1.0"?>
<robot name="two_link">
  <link name="base"/>
  <link name="arm"/>
  <link name="tool"/>
  <joint name="shoulder" type="revolute">
    <parent link="base"/><child link="arm"/>
    <limit lower="-1" upper="1" effort="12.5" velocity="3"/>
  </joint>
  <joint name="wrist" type="continuous"><parent link="arm"/><child link="tool"/></joint>
  <ros2_control name="sys" type="system">
    <hardware><plugin>gz_ros2_control/GazeboSimSystem</plugin></hardware>
    <joint name="shoulder">
      <command_interface name="position"/>
      <command_interface name="effort"/>
      <param name="kp">80</param>
    </joint>
    <joint name="wrist"><state_interface name="position"/></joint>
  </ros2_control>
</robot>`;
